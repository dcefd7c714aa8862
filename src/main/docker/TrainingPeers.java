import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

/**
 * What a serving cell calls, stood in for the AOT training run of aot-train.sh only (never part of the image): a peer
 * cell over https, which answers every request with an empty JSON list, and the dataplane API over plain http, which
 * answers 200 to PUT and DELETE /workspaces/{id}. Runs until killed; prints how many calls each got on stdout as it
 * goes. Compiled in the image's build stage (javac --release 17), run with the runtime image's java.
 *
 * <pre>java -cp DIR TrainingPeers PEER_PORT PEER_KEYSTORE.p12 PASSWORD DATAPLANE_PORT</pre>
 */
public final class TrainingPeers {

    private static final AtomicInteger PEER_CALLS = new AtomicInteger();
    private static final AtomicInteger DATAPLANE_CALLS = new AtomicInteger();

    private TrainingPeers() {
    }

    public static void main(String[] args) throws Exception {
        int peerPort = Integer.parseInt(args[0]);
        char[] password = args[2].toCharArray();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(args[1])) {
            keys.load(in, password);
        }
        KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        managers.init(keys, password);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(managers.getKeyManagers(), null, null);

        HttpsServer peer = HttpsServer.create(new InetSocketAddress("127.0.0.1", peerPort), 0);
        peer.setHttpsConfigurator(new HttpsConfigurator(tls));
        peer.createContext("/", exchange -> answer(exchange, "[]", PEER_CALLS, "peer"));
        peer.setExecutor(Executors.newFixedThreadPool(4));
        peer.start();

        HttpServer dataplane = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[3])), 0);
        dataplane.createContext("/workspaces/", exchange -> answer(exchange, "{}", DATAPLANE_CALLS, "dataplane"));
        dataplane.setExecutor(Executors.newFixedThreadPool(4));
        dataplane.start();
        System.out.println("ready");
        Thread.currentThread().join();
    }

    private static void answer(HttpExchange exchange, String body, AtomicInteger calls, String name)
            throws IOException {
        exchange.getRequestBody().readAllBytes();
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
        System.out.println(name + " " + calls.incrementAndGet());
    }
}
