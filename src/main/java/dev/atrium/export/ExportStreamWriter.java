package dev.atrium.export;

import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.core.ResteasyReactiveRequestContext;
import org.jboss.resteasy.reactive.server.spi.ResteasyReactiveResourceInfo;
import org.jboss.resteasy.reactive.server.spi.ServerHttpResponse;
import org.jboss.resteasy.reactive.server.spi.ServerMessageBodyWriter;
import org.jboss.resteasy.reactive.server.spi.ServerRequestContext;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiSubscriber;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.ext.Provider;

/**
 * Writes an export's chunks to the connection one at a time, asking for the next chunk only once the previous one is
 * written, so a slow reader slows the database reads instead of filling memory. Status and headers come from the
 * resource's {@code Response}. A client that hangs up ends the export quietly: the stream is cancelled, nothing more is
 * read, and the request is finished (a hang-up is normal for a download, not a server error).
 */
@Provider
public class ExportStreamWriter implements ServerMessageBodyWriter<ExportStreamWriter.ExportStream> {

    private static final Logger LOG = Logger.getLogger(ExportStreamWriter.class);

    /** The body of an export response: encoded chunks, read lazily from the database on demand. */
    public record ExportStream(Multi<byte[]> chunks) {
    }

    @Override
    public boolean isWriteable(Class<?> type, Type genericType, ResteasyReactiveResourceInfo target,
            MediaType mediaType) {
        return ExportStream.class.isAssignableFrom(type);
    }

    @Override
    public boolean isWriteable(Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
        return ExportStream.class.isAssignableFrom(type);
    }

    @Override
    public void writeResponse(ExportStream stream, Type genericType, ServerRequestContext context) {
        ResteasyReactiveRequestContext request = (ResteasyReactiveRequestContext) context;
        ServerHttpResponse response = context.serverResponse();
        request.suspend();
        response.setChunked(true);
        stream.chunks().subscribe().withSubscriber(new ChunkSubscriber(request, response));
    }

    @Override
    public void writeTo(ExportStream stream, Class<?> type, Type genericType, Annotation[] annotations,
            MediaType mediaType, MultivaluedMap<String, Object> headers, OutputStream out) {
        throw new UnsupportedOperationException("an export is written to the connection, never to a stream");
    }

    private static final class ChunkSubscriber implements MultiSubscriber<byte[]> {

        private final ResteasyReactiveRequestContext request;
        private final ServerHttpResponse response;
        private final AtomicBoolean finished = new AtomicBoolean();
        private volatile Flow.Subscription subscription;

        ChunkSubscriber(ResteasyReactiveRequestContext request, ServerHttpResponse response) {
            this.request = request;
            this.response = response;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            response.addCloseHandler(() -> {
                if (finish()) {
                    LOG.debug("export connection closed by the client");
                    s.cancel();
                    request.resume();
                }
            });
            s.request(1);
        }

        @Override
        public void onItem(byte[] chunk) {
            if (finished.get()) {
                return;
            }
            response.write(chunk).whenComplete((ok, failure) -> {
                if (failure == null) {
                    subscription.request(1);
                } else if (finish()) {
                    LOG.debugf("export connection lost: %s", failure.toString());
                    subscription.cancel();
                    response.reset();
                    request.resume();
                }
            });
        }

        @Override
        public void onFailure(Throwable failure) {
            if (!finish()) {
                return;
            }
            if (response.headWritten()) {
                // Too late for a status: cut the connection, so the client sees an incomplete download.
                response.reset();
                request.resume();
            } else {
                request.resume(failure, true);
            }
        }

        @Override
        public void onCompletion() {
            if (finish()) {
                response.end();
                request.resume();
            }
        }

        private boolean finish() {
            return finished.compareAndSet(false, true);
        }
    }
}
