package dev.atrium.common.db;

import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collector;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.smallrye.common.vertx.ContextLocals;
import io.smallrye.common.vertx.VertxContext;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PrepareOptions;
import io.vertx.sqlclient.PreparedQuery;
import io.vertx.sqlclient.Query;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.SqlResult;
import io.vertx.sqlclient.Tuple;

/**
 * A pool on which no API request waits longer than a timeout for a connection, nor more than a set number of requests
 * at once; beyond either the acquisition fails with {@link PoolExhaustedException}. Work that is no API request
 * (provisioning runs, scheduled flushes and purges, health checks) waits its turn in the same line without either
 * bound: refused, it would only fail and be retried later, or give up for good after its last attempt.
 *
 * <p>Vert.x 4.5's own bounds are not used. Its {@code PoolOptions.connectionTimeout} loses connections under
 * sustained overload (they stay taken for good, and every later request times out until a restart); and a wait given
 * up on while inside its queue cannot be taken out of it, so under overload live requests queue behind waits nobody
 * waits for any more. So the waiting happens here, in a queue a wait leaves when it times out, and only as many
 * acquisitions as the pool has connections are handed to Vert.x at a time: one of those that times out is answered
 * at once, and the connection it later gets is closed, which hands it straight back to the pool.
 *
 * <p>Metrics: {@code atrium.db.pool.wait} (how long an acquisition waited, in this line and inside the pool, by
 * {@code request}: {@code api} or {@code background}), {@code atrium.db.pool.waiting} (acquisitions in this line now)
 * and {@code atrium.db.pool.refused} (API requests refused, every place in line taken or the timeout passed). The pool's
 * own occupancy is Vert.x's {@code sql_pool_*}.
 */
final class WaitBoundedPool implements PgPool {

    private static final String API_REQUEST = "atrium.db.api-request";

    private final Vertx vertx;
    private final Pool delegate;
    private final long timeoutMillis;
    private final int maxWaiting;
    private final int maxInside;

    /** Requests waiting for their turn to ask the delegate, oldest first. */
    private final ArrayDeque<Wait> waiting = new ArrayDeque<>();
    /** Acquisitions asked of the delegate and not answered yet; at most {@code maxInside}. */
    private int inside;
    private final Timer apiWaits;
    private final Timer backgroundWaits;
    private final Counter refused;

    WaitBoundedPool(Vertx vertx, Pool delegate, int poolSize, long timeoutMillis, int maxWaiting,
            MeterRegistry metrics) {
        this.vertx = vertx;
        this.delegate = delegate;
        this.maxInside = poolSize;
        this.timeoutMillis = timeoutMillis;
        this.maxWaiting = maxWaiting;
        this.apiWaits = waits(metrics, "api");
        this.backgroundWaits = waits(metrics, "background");
        this.refused = refusals(metrics);
        Gauge.builder("atrium.db.pool.waiting", this, WaitBoundedPool::waitingNow)
                .description("Acquisitions waiting in line for a database connection").register(metrics);
    }

    /** {@code atrium.db.pool.refused}: shared by this line and the {@link PointReads}' bound. */
    static Counter refusals(MeterRegistry metrics) {
        return Counter.builder("atrium.db.pool.refused")
                .description("API requests refused a database connection (line full or wait too long): 503")
                .register(metrics);
    }

    private static Timer waits(MeterRegistry metrics, String request) {
        return Timer.builder("atrium.db.pool.wait").tag("request", request)
                .description("Time from asking for a database connection to getting one (or being refused)")
                .serviceLevelObjectives(java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(5),
                        java.time.Duration.ofMillis(25), java.time.Duration.ofMillis(100),
                        java.time.Duration.ofMillis(250), java.time.Duration.ofSeconds(1),
                        java.time.Duration.ofSeconds(5))
                .register(metrics);
    }

    private synchronized int waitingNow() {
        return waiting.size();
    }

    private static final class Wait {
        final Context context;
        final Promise<SqlConnection> connection = Promise.promise();
        long timer = -1;

        Wait(Context context) {
            this.context = context;
        }
    }

    /** Whether the line is full: a request that needs a connection now would be refused at once. */
    synchronized boolean full() {
        return waiting.size() >= maxWaiting;
    }

    /** Marks the request being served on the current context as an API request, whose waits are bounded. */
    static void boundWaitsOfThisRequest() {
        if (VertxContext.isOnDuplicatedContext()) {
            ContextLocals.put(API_REQUEST, Boolean.TRUE);
        }
    }

    private static boolean apiRequest() {
        return VertxContext.isOnDuplicatedContext() && ContextLocals.get(API_REQUEST, Boolean.FALSE);
    }

    @Override
    public Future<SqlConnection> getConnection() {
        // The caller's context: the delegate is asked on it, so the connection is handed over on the caller's thread.
        Wait wait = new Wait(vertx.getOrCreateContext());
        boolean bounded = apiRequest();
        long asked = System.nanoTime();
        Timer waits = bounded ? apiWaits : backgroundWaits;
        wait.connection.future().onComplete(ar -> {
            waits.record(System.nanoTime() - asked, java.util.concurrent.TimeUnit.NANOSECONDS);
            if (ar.failed() && ar.cause() instanceof PoolExhaustedException) {
                refused.increment();
            }
        });
        boolean now;
        boolean full = false;
        synchronized (this) {
            now = inside < maxInside;
            if (now) {
                inside++;
            } else if (!bounded || waiting.size() < maxWaiting) {
                waiting.add(wait);
                if (bounded) {
                    wait.timer = vertx.setTimer(timeoutMillis, id -> expire(wait));
                }
            } else {
                full = true;
            }
        }
        if (full) {
            wait.connection.fail(new PoolExhaustedException(maxWaiting + " requests already wait"));
            return wait.connection.future();
        }
        if (now) {
            // While the pool still grows, the wait is for a connection being opened: slow on a cold start, but no
            // sign of exhaustion, and bounded by the connect timeout.
            if (bounded && delegate.size() >= maxInside) {
                wait.timer = vertx.setTimer(timeoutMillis, id -> expire(wait));
            }
            ask(wait);
        }
        return wait.connection.future();
    }

    private void expire(Wait wait) {
        synchronized (this) {
            waiting.remove(wait);
        }
        wait.connection.tryFail(new PoolExhaustedException("no connection free within " + timeoutMillis + " ms"));
    }

    /** Asks the delegate for the turn {@code wait} holds; the turn passes on when the delegate answers. */
    private void ask(Wait wait) {
        if (wait.connection.future().isComplete()) {
            passTurn();
            return;
        }
        delegate.getConnection().onComplete(ar -> {
            vertx.cancelTimer(wait.timer);
            if (ar.failed()) {
                wait.connection.tryFail(ar.cause());
            } else if (!wait.connection.tryComplete(ar.result())) {
                ar.result().close();
            }
            passTurn();
        });
    }

    private void passTurn() {
        Wait next;
        synchronized (this) {
            next = waiting.poll();
            if (next == null) {
                inside--;
                return;
            }
        }
        Wait turn = next;
        turn.context.runOnContext(v -> ask(turn));
    }

    @Override
    public void getConnection(Handler<AsyncResult<SqlConnection>> handler) {
        getConnection().onComplete(handler);
    }

    @Override
    public Query<RowSet<Row>> query(String sql) {
        return new OnConnection<>(this, c -> c.query(sql));
    }

    @Override
    public PreparedQuery<RowSet<Row>> preparedQuery(String sql) {
        return new OnConnectionPrepared<>(this, c -> c.preparedQuery(sql));
    }

    @Override
    public PreparedQuery<RowSet<Row>> preparedQuery(String sql, PrepareOptions options) {
        return new OnConnectionPrepared<>(this, c -> c.preparedQuery(sql, options));
    }

    @Override
    public PgPool connectHandler(Handler<SqlConnection> handler) {
        delegate.connectHandler(handler);
        return this;
    }

    @Override
    public PgPool connectionProvider(Function<Context, Future<SqlConnection>> provider) {
        delegate.connectionProvider(provider);
        return this;
    }

    @Override
    public int size() {
        return delegate.size();
    }

    @Override
    public void close(Handler<AsyncResult<Void>> handler) {
        delegate.close(handler);
    }

    @Override
    public Future<Void> close() {
        return delegate.close();
    }

    /** A query sent to the pool: runs on a connection acquired with the timeout, returned when it completes. */
    private static class OnConnection<T> implements Query<T> {

        final Pool pool;
        final Function<SqlConnection, Query<T>> query;

        OnConnection(Pool pool, Function<SqlConnection, Query<T>> query) {
            this.pool = pool;
            this.query = query;
        }

        @Override
        public Future<T> execute() {
            return pool.withConnection(c -> query.apply(c).execute());
        }

        @Override
        public void execute(Handler<AsyncResult<T>> handler) {
            execute().onComplete(handler);
        }

        @Override
        public <R> Query<SqlResult<R>> collecting(Collector<Row, ?, R> collector) {
            return new OnConnection<>(pool, c -> query.apply(c).collecting(collector));
        }

        @Override
        public <U> Query<RowSet<U>> mapping(Function<Row, U> mapper) {
            return new OnConnection<>(pool, c -> query.apply(c).mapping(mapper));
        }
    }

    private static final class OnConnectionPrepared<T> implements PreparedQuery<T> {

        private final Pool pool;
        private final Function<SqlConnection, PreparedQuery<T>> query;

        OnConnectionPrepared(Pool pool, Function<SqlConnection, PreparedQuery<T>> query) {
            this.pool = pool;
            this.query = query;
        }

        @Override
        public Future<T> execute() {
            return pool.withConnection(c -> query.apply(c).execute());
        }

        @Override
        public void execute(Handler<AsyncResult<T>> handler) {
            execute().onComplete(handler);
        }

        @Override
        public Future<T> execute(Tuple tuple) {
            return pool.withConnection(c -> query.apply(c).execute(tuple));
        }

        @Override
        public void execute(Tuple tuple, Handler<AsyncResult<T>> handler) {
            execute(tuple).onComplete(handler);
        }

        @Override
        public Future<T> executeBatch(List<Tuple> batch) {
            return pool.withConnection(c -> query.apply(c).executeBatch(batch));
        }

        @Override
        public void executeBatch(List<Tuple> batch, Handler<AsyncResult<T>> handler) {
            executeBatch(batch).onComplete(handler);
        }

        @Override
        public <R> PreparedQuery<SqlResult<R>> collecting(Collector<Row, ?, R> collector) {
            return new OnConnectionPrepared<>(pool, c -> query.apply(c).collecting(collector));
        }

        @Override
        public <U> PreparedQuery<RowSet<U>> mapping(Function<Row, U> mapper) {
            return new OnConnectionPrepared<>(pool, c -> query.apply(c).mapping(mapper));
        }
    }
}
