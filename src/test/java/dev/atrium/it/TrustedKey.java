package dev.atrium.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

import dev.atrium.support.Tokens;
import io.smallrye.jwt.build.JwtClaimsBuilder;

/**
 * The one RSA key pair of an integration-test JVM. Every packaged cell is started trusting its public half (a PEM
 * file, as production mounts one), so a token signed here is valid on all of them, as a real issuer's would be. The
 * private half never leaves the test JVM.
 */
public final class TrustedKey {

    /**
     * Where the public key is written: the location the integration-test JVM is configured with (see the failsafe
     * settings in pom.xml), so that {@code @QuarkusIntegrationTest} finds a key location configured and does not
     * generate a key pair of its own for the launched application.
     */
    static final String LOCATION_PROPERTY = "mp.jwt.verify.publickey.location";
    private static final KeyPair PAIR = generate();
    private static final Path PUBLIC_PEM = writePublicPem();

    private TrustedKey() {
    }

    /** The PEM file with the public key: the value of {@code ATRIUM_JWT_PUBLIC_KEY_LOCATION}. */
    public static Path publicKeyPem() {
        return PUBLIC_PEM;
    }

    /** Signs claims built with {@link Tokens} (for example {@code Tokens.userClaims(sub)}). */
    public static String sign(JwtClaimsBuilder claims) {
        return Tokens.sign(claims, PAIR.getPrivate());
    }

    /** A user's token, as {@link Tokens#user(String)} but trusted by packaged cells. */
    public static String user(String sub) {
        return sign(Tokens.userClaims(sub));
    }

    private static KeyPair generate() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path writePublicPem() {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(PAIR.getPublic().getEncoded());
        String pem = "-----BEGIN PUBLIC KEY-----\n" + body + "\n-----END PUBLIC KEY-----\n";
        try {
            String configured = System.getProperty(LOCATION_PROPERTY);
            Path file = configured != null ? Path.of(configured) : PackagedCell.LOG_DIR.resolve("jwt-public.pem");
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, pem, StandardCharsets.US_ASCII);
            return file.toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
