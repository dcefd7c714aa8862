package dev.atrium.support;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Set;
import java.util.UUID;

import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;

/** Real signed JWTs for tests: users, services, platform admins, and every way a token can be wrong. */
public final class Tokens {

    public static final String ISSUER = "https://auth.atrium.local";
    public static final String AUDIENCE = "atrium";

    private Tokens() {
    }

    public static String unique(String name) {
        return name + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public static JwtClaimsBuilder userClaims(String sub) {
        return Jwt.issuer(ISSUER).audience(AUDIENCE).subject(sub)
                .claim("email", sub + "@example.com").claim("email_verified", true).claim("name", "User " + sub)
                .expiresIn(Duration.ofMinutes(10));
    }

    public static String user(String sub) {
        return sign(userClaims(sub));
    }

    public static String platformAdmin(String sub) {
        return sign(userClaims(sub).groups(Set.of("platform-admin")));
    }

    public static String service(String client, String scope) {
        return sign(Jwt.issuer(ISSUER).audience(AUDIENCE).subject(client).claim("azp", client).claim("scope", scope)
                .expiresIn(Duration.ofMinutes(10)));
    }

    /** Signed with the key the service trusts (the in-memory test key pair). */
    public static String sign(JwtClaimsBuilder claims) {
        return claims.jws().sign();
    }

    /** Signed with {@code key}: for a packaged service started with the matching public key (see {@code dev.atrium.it}). */
    public static String sign(JwtClaimsBuilder claims, java.security.PrivateKey key) {
        return claims.jws().sign(key);
    }

    /** Signed with a key the service has never seen. */
    public static String signUntrusted(JwtClaimsBuilder claims) {
        return claims.jws().sign(UNTRUSTED.getPrivate());
    }

    private static final java.security.KeyPair UNTRUSTED = generate();

    private static java.security.KeyPair generate() {
        try {
            java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String expired(String sub) {
        return sign(userClaims(sub).issuedAt(Instant.now().minusSeconds(3600)).expiresAt(Instant.now().minusSeconds(120)));
    }

    /** An unsigned token ({@code alg: none}), which must never be accepted. */
    public static String unsigned(String sub) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        long exp = Instant.now().plusSeconds(600).getEpochSecond();
        String payload = b64.encodeToString(("{\"iss\":\"" + ISSUER + "\",\"aud\":\"" + AUDIENCE + "\",\"sub\":\"" + sub
                + "\",\"exp\":" + exp + "}").getBytes(StandardCharsets.UTF_8));
        return header + "." + payload + ".";
    }


    /** Signs an arbitrary payload with the trusted key, bypassing the builder's defaults (for example no exp). */
    public static String signRaw(String payloadJson) {
        try {
            String configured = org.eclipse.microprofile.config.ConfigProvider.getConfig()
                    .getValue("smallrye.jwt.sign.key", String.class);
            String body = configured.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            java.security.PrivateKey key = java.security.KeyFactory.getInstance("RSA")
                    .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
            Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
            String signingInput = b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8))
                    + "." + b64.encodeToString(payloadJson.getBytes(StandardCharsets.UTF_8));
            java.security.Signature sig = java.security.Signature.getInstance("SHA256withRSA");
            sig.initSign(key);
            sig.update(signingInput.getBytes(StandardCharsets.UTF_8));
            return signingInput + "." + b64.encodeToString(sig.sign());
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
