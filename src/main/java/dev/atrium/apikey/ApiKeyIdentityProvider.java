package dev.atrium.apikey;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.Set;

import dev.atrium.cell.Cells;
import dev.atrium.common.id.Ids;
import dev.atrium.common.security.Principal;
import dev.atrium.common.time.Clock;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Verifies an {@code atr_} token: format and checksum first (no lookup for typos), then the one row its key id
 * names, read on every request so a revocation or expiry is effective at once. Every failure is the same 401.
 * Uses the connection pool directly: authentication runs before any Hibernate session exists.
 */
@ApplicationScoped
public class ApiKeyIdentityProvider implements IdentityProvider<ApiKeyAuthenticationRequest> {

    private static final String LOOKUP = "select workspace_id, name,"
            + " string_to_array(scopes, ' ') as scopes, secret_hash, previous_secret_hash,"
            + " previous_expires_at, coalesce(holder_user_id, creator_user_id) as holder_user_id, expires_at, revoked_at"
            + " from api_keys where id = $1";

    private final Pool pool;
    private final ApiKeySecrets secrets;
    private final ApiKeyUsage usage;
    private final String cellCode;

    public ApiKeyIdentityProvider(Pool pool, ApiKeySecrets secrets, ApiKeyUsage usage, Cells cells) {
        this.pool = pool;
        this.secrets = secrets;
        this.usage = usage;
        this.cellCode = Ids.cellCode(cells.region());
    }

    @Override
    public Class<ApiKeyAuthenticationRequest> getRequestType() {
        return ApiKeyAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(ApiKeyAuthenticationRequest request,
            AuthenticationRequestContext context) {
        Optional<ApiKeyFormat.Parsed> parsed = ApiKeyFormat.parse(request.token());
        if (parsed.isEmpty() || !parsed.get().cellCode().equals(cellCode)) {
            return Uni.createFrom().failure(new AuthenticationFailedException());
        }
        ApiKeyFormat.Parsed key = parsed.get();
        return pool.preparedQuery(LOOKUP).execute(Tuple.of(key.keyId())).map(rows -> verify(key, rows));
    }

    private SecurityIdentity verify(ApiKeyFormat.Parsed key, RowSet<Row> rows) {
        if (rows.size() != 1) {
            throw new AuthenticationFailedException();
        }
        Row row = rows.iterator().next();
        Instant now = Clock.now();
        boolean secretMatches = secrets.matches(key.secret(), bytes(row.getBuffer("secret_hash")));
        Instant previousUntil = instant(row.getOffsetDateTime("previous_expires_at"));
        boolean previousMatches = previousUntil != null && previousUntil.isAfter(now)
                && secrets.matches(key.secret(), bytes(row.getBuffer("previous_secret_hash")));
        Instant expiresAt = instant(row.getOffsetDateTime("expires_at"));
        if (!(secretMatches || previousMatches) || row.getOffsetDateTime("revoked_at") != null
                || (expiresAt != null && !expiresAt.isAfter(now))) {
            throw new AuthenticationFailedException();
        }
        usage.touch(key.keyId(), now);
        Principal principal = Principal.apiKey(key.keyId(), row.getString("name"),
                Set.of(row.getArrayOfStrings("scopes")), row.getString("workspace_id"),
                row.getString("holder_user_id"));
        return QuarkusSecurityIdentity.builder()
                .setPrincipal(new QuarkusPrincipal(key.keyId()))
                .addAttribute(Principal.IDENTITY_ATTRIBUTE, principal)
                .build();
    }

    private static byte[] bytes(Buffer buffer) {
        return buffer == null ? null : buffer.getBytes();
    }

    private static Instant instant(OffsetDateTime value) {
        return value == null ? null : value.toInstant();
    }
}
