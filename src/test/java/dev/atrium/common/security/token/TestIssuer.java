package dev.atrium.common.security.token;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.lang.JoseException;

/**
 * An identity provider for tests: RSA signing keys of its own (rotated at will), the JWKS it publishes, and tokens
 * signed with its current key, with exactly the claims a test gives.
 */
final class TestIssuer {

    record SigningKey(String kid, KeyPair pair) {
    }

    final String iss;
    private final List<SigningKey> published = new ArrayList<>();
    private SigningKey current;
    private int generation;

    TestIssuer(String iss) {
        this.iss = iss;
        rotate();
    }

    /** A new signing key, published beside the old ones. */
    SigningKey rotate() {
        current = new SigningKey(iss.replaceAll("[^a-z0-9]", "") + "-" + (++generation), generate());
        published.add(current);
        return current;
    }

    /** Stops publishing a key (its tokens must stop working). */
    void unpublish(SigningKey key) {
        published.remove(key);
    }

    SigningKey current() {
        return current;
    }

    String jwks() {
        List<JsonWebKey> keys = new ArrayList<>();
        for (SigningKey key : published) {
            try {
                PublicJsonWebKey jwk = PublicJsonWebKey.Factory.newPublicJwk(key.pair().getPublic());
                jwk.setKeyId(key.kid());
                jwk.setUse("sig");
                jwk.setAlgorithm("RS256");
                keys.add(jwk);
            } catch (JoseException e) {
                throw new IllegalStateException(e);
            }
        }
        return new JsonWebKeySet(keys).toJson();
    }

    /** Claims with this issuer, {@code aud}, {@code iat} now and {@code exp} in ten minutes, plus {@code extra}. */
    JwtClaims claims(String aud, Instant now, Map<String, Object> extra) {
        JwtClaims claims = new JwtClaims();
        claims.setIssuer(iss);
        claims.setAudience(aud);
        claims.setIssuedAt(NumericDate.fromSeconds(now.getEpochSecond()));
        claims.setExpirationTime(NumericDate.fromSeconds(now.getEpochSecond() + 600));
        extra.forEach(claims::setClaim);
        return claims;
    }

    String sign(JwtClaims claims) {
        return sign(claims, current);
    }

    static String sign(JwtClaims claims, SigningKey key) {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setKey(key.pair().getPrivate());
        jws.setKeyIdHeaderValue(key.kid());
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.RSA_USING_SHA256);
        try {
            return jws.getCompactSerialization();
        } catch (JoseException e) {
            throw new IllegalStateException(e);
        }
    }

    static KeyPair generate() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
