package dev.atrium.dev;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.openapi.annotations.Operation;

import io.quarkus.arc.profile.IfBuildProfile;
import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;
import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

/**
 * Dev mode only: mints tokens signed by the in-memory key pair Quarkus generates in dev mode when no key is
 * configured. The bean does not exist in a production build (build profile), and no signing key is ever packaged.
 */
@IfBuildProfile("dev")
@Path("/dev/token")
@PermitAll
public class DevTokenResource {

    private final String issuer;
    private final String audience;

    public DevTokenResource(@ConfigProperty(name = "mp.jwt.verify.issuer") String issuer,
            @ConfigProperty(name = "mp.jwt.verify.audiences") String audience) {
        this.issuer = issuer;
        this.audience = audience;
    }

    @GET
    @Produces(MediaType.TEXT_PLAIN)
    @Operation(hidden = true)
    public String token(@QueryParam("sub") @DefaultValue("dev-user") String sub,
            @QueryParam("email") String email,
            @QueryParam("name") String name,
            @QueryParam("client") String client,
            @QueryParam("scope") String scope,
            @QueryParam("groups") String groups) {
        JwtClaimsBuilder claims = Jwt.issuer(issuer).audience(audience).subject(sub)
                .expiresIn(Duration.ofHours(8));
        if (client != null) {
            claims.claim("azp", client).subject(client).claim("scope", scope == null ? "" : scope);
        } else {
            claims.claim("email", email != null ? email : sub + "@example.com")
                    .claim("email_verified", true)
                    .claim("name", name != null ? name : sub);
        }
        if (groups != null) {
            claims.groups(new HashSet<>(Arrays.asList(groups.split(","))));
        }
        return claims.sign();
    }
}
