package dev.atrium.common.security.token;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.lang.JoseException;

/**
 * The verification keys of one issuer as last loaded: parsed from a JWKS, a single JWK, PEM public keys or
 * certificates, or base64 DER. Only public keys meant for signatures are kept (a JWKS may also list encryption keys).
 */
final class KeySet {

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN (PUBLIC KEY|CERTIFICATE)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private final List<PublicJsonWebKey> keys;
    private final Set<String> thumbprints;
    private final Instant loadedAt;

    KeySet(List<PublicJsonWebKey> keys, Instant loadedAt) {
        this.keys = List.copyOf(keys);
        this.thumbprints = keys.stream().map(KeySet::thumbprint).collect(Collectors.toUnmodifiableSet());
        this.loadedAt = loadedAt;
    }

    /** The RFC 7638 thumbprint: names a key by its value, whatever id (or none) its set gives it. */
    static String thumbprint(PublicJsonWebKey key) {
        return key.calculateBase64urlEncodedThumbprint("SHA-256");
    }

    Set<String> thumbprints() {
        return thumbprints;
    }

    boolean hasThumbprint(String thumbprint) {
        return thumbprints.contains(thumbprint);
    }

    /** For logs. */
    List<String> keyIds() {
        return keys.stream().map(k -> k.getKeyId() == null ? "(no kid)" : k.getKeyId()).toList();
    }

    Instant loadedAt() {
        return loadedAt;
    }

    int size() {
        return keys.size();
    }

    boolean hasKeyId(String kid) {
        return keys.stream().anyMatch(k -> kid.equals(k.getKeyId()));
    }

    boolean hasKeysWithoutId() {
        return keys.stream().anyMatch(k -> k.getKeyId() == null);
    }

    /**
     * The keys that may have signed {@code jws}: of the algorithm's key type, and with its {@code kid} when the token
     * names one; keys that carry no id (a PEM key) are candidates for any token.
     */
    List<PublicJsonWebKey> candidates(JsonWebSignature jws) {
        String kty = keyType(jws.getAlgorithmHeaderValue());
        String kid = jws.getKeyIdHeaderValue();
        List<PublicJsonWebKey> out = new ArrayList<>();
        for (PublicJsonWebKey key : keys) {
            if (!Objects.equals(kty, key.getKeyType())) {
                continue;
            }
            if (key.getAlgorithm() != null && !key.getAlgorithm().equals(jws.getAlgorithmHeaderValue())) {
                continue;
            }
            if (kid == null || key.getKeyId() == null || kid.equals(key.getKeyId())) {
                out.add(key);
            }
        }
        // A key whose id matches is the one to try first.
        out.sort((a, b) -> Boolean.compare(a.getKeyId() == null, b.getKeyId() == null));
        return out;
    }

    private static String keyType(String alg) {
        if (alg == null) {
            return null;
        }
        if (alg.startsWith("RS") || alg.startsWith("PS")) {
            return "RSA";
        }
        if (alg.startsWith("ES")) {
            return "EC";
        }
        return "EdDSA".equals(alg) ? "OKP" : null;
    }

    /** Parses what a key source holds; {@link IllegalArgumentException} when it holds no usable signature key. */
    static KeySet parse(String text, Instant loadedAt) {
        String trimmed = text.trim();
        List<PublicJsonWebKey> keys = new ArrayList<>();
        try {
            if (trimmed.startsWith("{")) {
                List<JsonWebKey> all = trimmed.contains("\"keys\"") ? new JsonWebKeySet(trimmed).getJsonWebKeys()
                        : List.of(JsonWebKey.Factory.newJwk(trimmed));
                for (JsonWebKey key : all) {
                    if (key instanceof PublicJsonWebKey pub && (key.getUse() == null || "sig".equals(key.getUse()))) {
                        keys.add(pub);
                    }
                }
            } else if (trimmed.startsWith("-----BEGIN")) {
                Matcher m = PEM.matcher(trimmed);
                while (m.find()) {
                    byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                    keys.add(PublicJsonWebKey.Factory.newPublicJwk(
                            "CERTIFICATE".equals(m.group(1)) ? certificateKey(der) : publicKey(der)));
                }
            } else {
                keys.add(PublicJsonWebKey.Factory.newPublicJwk(publicKey(Base64.getMimeDecoder().decode(trimmed))));
            }
        } catch (JoseException | GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not a JWKS, JWK, PEM or base64 public key: " + e.getMessage(), e);
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("no public signature key in it");
        }
        try {
            return new KeySet(keys, loadedAt);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unusable key: " + e.getMessage(), e);
        }
    }

    private static PublicKey publicKey(byte[] der) throws GeneralSecurityException {
        X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
        GeneralSecurityException last = null;
        for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePublic(spec);
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw last;
    }

    private static PublicKey certificateKey(byte[] der) throws GeneralSecurityException {
        return CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der))
                .getPublicKey();
    }
}
