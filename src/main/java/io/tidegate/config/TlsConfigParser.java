package io.tidegate.config;

import io.tidegate.config.TidegateConfig.Tls.ClientAuth;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.X509KeyManager;

/**
 * {@code http.tls}: the listener's certificate and key, and the CAs of client certificates, all PEM files read
 * and checked once at start-up, so that a missing file, a file that is not PEM, or a key that does not belong to
 * the certificate stops the gateway with a message naming the key, not at the first handshake.
 */
final class TlsConfigParser {
  static final Set<String> KEYS = Set.of("certPath", "keyPath", "clientCaPath", "clientAuth");

  private TlsConfigParser() {}

  static Optional<TidegateConfig.Tls> parse(ConfigParser.Reader r, TidegateConfig.Auth auth) {
    r.onlyKeys("http.tls", KEYS);
    String certPath = blankToNull(r.string("http.tls.certPath", ""));
    String keyPath = blankToNull(r.string("http.tls.keyPath", ""));
    String caPath = blankToNull(r.string("http.tls.clientCaPath", ""));
    String clientAuth = blankToNull(r.string("http.tls.clientAuth", ""));
    if (certPath == null && keyPath == null) {
      if (caPath != null) {
        throw new ConfigException("http.tls.clientCaPath", "client certificates need TLS: set http.tls.certPath and "
            + "http.tls.keyPath too");
      }
      if (clientAuth != null && !clientAuth.equalsIgnoreCase("none")) {
        throw new ConfigException("http.tls.clientAuth", "client certificates need TLS: set http.tls.certPath and "
            + "http.tls.keyPath too");
      }
      if (!auth.certificateRoles().isEmpty()) {
        throw new ConfigException("auth.certificateRoles", "are given to clients identified by a TLS certificate: set "
            + "http.tls.certPath, http.tls.keyPath and http.tls.clientCaPath too");
      }
      return Optional.empty();
    }
    if (certPath == null) {
      throw new ConfigException("http.tls.certPath", "is missing: http.tls.keyPath is set, and TLS needs both (PEM files)");
    }
    if (keyPath == null) {
      throw new ConfigException("http.tls.keyPath", "is missing: http.tls.certPath is set, and TLS needs both (PEM files)");
    }
    String certPem = read("http.tls.certPath", certPath);
    List<X509Certificate> chain = certificates("http.tls.certPath", certPem);
    String keyPem = read("http.tls.keyPath", keyPath);
    checkKey(certPem, keyPem, chain.get(0));

    ClientAuth mode = clientAuth(clientAuth, caPath != null);
    String caPem = null;
    if (caPath != null) {
      caPem = read("http.tls.clientCaPath", caPath);
      certificates("http.tls.clientCaPath", caPem);
    }
    if (caPem == null && !auth.certificateRoles().isEmpty()) {
      throw new ConfigException("auth.certificateRoles", "are given to clients identified by a TLS certificate: set "
          + "http.tls.clientCaPath to the CAs that issue them");
    }
    return Optional.of(new TidegateConfig.Tls(certPem, keyPem, caPem, mode));
  }

  /** none, request or required; request when client CAs are given and nothing is said, none without them. */
  private static ClientAuth clientAuth(String raw, boolean cas) {
    if (raw == null) {
      return cas ? ClientAuth.REQUEST : ClientAuth.NONE;
    }
    ClientAuth mode;
    try {
      mode = ClientAuth.valueOf(raw.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("http.tls.clientAuth", "must be none, request or required, got '" + raw + "'");
    }
    if (mode != ClientAuth.NONE && !cas) {
      throw new ConfigException("http.tls.clientAuth", "is " + raw + " but http.tls.clientCaPath names no CAs to "
          + "check client certificates against");
    }
    if (mode == ClientAuth.NONE && cas) {
      throw new ConfigException("http.tls.clientAuth", "is none, so the CAs of http.tls.clientCaPath would never be "
          + "used: remove one of the two, or set request or required");
    }
    return mode;
  }

  private static String read(String key, String path) {
    try {
      return Files.readString(Path.of(path), StandardCharsets.US_ASCII);
    } catch (IOException | RuntimeException e) {
      throw new ConfigException(key, "cannot be read: " + path + " (" + e.getClass().getSimpleName() + ": "
          + e.getMessage() + ")");
    }
  }

  /** The PEM certificates in {@code pem}, in order; at least one. */
  private static List<X509Certificate> certificates(String key, String pem) {
    if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
      throw new ConfigException(key, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    List<X509Certificate> out = new ArrayList<>();
    try {
      for (Certificate c : CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
        if (c instanceof X509Certificate x) {
          out.add(x);
        }
      }
    } catch (CertificateException e) {
      throw new ConfigException(key, "is not a valid PEM certificate file: " + e.getMessage());
    }
    if (out.isEmpty()) {
      throw new ConfigException(key, "holds no X.509 certificate");
    }
    return out;
  }

  /**
   * The key must be one Vert.x reads (unencrypted PKCS#8, PKCS#1 RSA or SEC1 EC) and the private half of the
   * first certificate's public key: something it signs must verify with the certificate.
   */
  private static void checkKey(String certPem, String keyPem, X509Certificate leaf) {
    if (!keyPem.matches("(?s).*-----BEGIN (RSA |EC )?PRIVATE KEY-----.*")) {
      throw new ConfigException("http.tls.keyPath", "holds no unencrypted PEM private key (-----BEGIN PRIVATE KEY-----,"
          + " -----BEGIN RSA PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----)");
    }
    PrivateKey key;
    try {
      // values, not paths: Vert.x reads no file and needs no Vertx instance for them
      X509KeyManager keys = (X509KeyManager) new PemKeyCertOptions().addCertValue(Buffer.buffer(certPem))
          .addKeyValue(Buffer.buffer(keyPem)).getKeyManagerFactory(null).getKeyManagers()[0];
      String alias = keys.chooseServerAlias(leaf.getPublicKey().getAlgorithm(), null, null);
      key = alias == null ? null : keys.getPrivateKey(alias);
    } catch (Exception e) {
      throw new ConfigException("http.tls.keyPath", "cannot be read as a PEM private key: " + e.getMessage());
    }
    if (key == null || !signs(key, leaf)) {
      throw new ConfigException("http.tls.keyPath", "is not the private key of the first certificate in "
          + "http.tls.certPath (" + leaf.getSubjectX500Principal().getName() + ")");
    }
  }

  private static boolean signs(PrivateKey key, X509Certificate leaf) {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "EdDSA", "Ed25519" -> "Ed25519";
      default -> null;
    };
    if (algorithm == null) {
      return key.getAlgorithm().equals(leaf.getPublicKey().getAlgorithm()); // checked at the first handshake
    }
    try {
      byte[] probe = "tidegate".getBytes(StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(algorithm);
      s.initSign(key);
      s.update(probe);
      byte[] signature = s.sign();
      Signature v = Signature.getInstance(algorithm);
      v.initVerify(leaf.getPublicKey());
      v.update(probe);
      return v.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
