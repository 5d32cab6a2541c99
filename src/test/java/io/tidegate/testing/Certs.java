package io.tidegate.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates made in the test (BouncyCastle, test scope): a CA, server certificates for 127.0.0.1 and
 * localhost, client certificates, written as PEM files to a temporary folder. No key material is checked in.
 */
public final class Certs {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());
  private static final long DAY_MS = 24L * 3600 * 1000;

  private Certs() {}

  /** A certificate, its key, and the PEM files holding them. */
  public record Issued(X509Certificate certificate, KeyPair keys, Path certPath, Path keyPath) {
    public String certPem() {
      return pem("CERTIFICATE", encoded(certificate));
    }
  }

  /** A certificate authority whose certificate signs itself. */
  public static Issued ca(String name) {
    KeyPair keys = rsa();
    X500Name subject = new X500Name("CN=" + name + ",O=Tidegate tests");
    X509v3CertificateBuilder b = builder(subject, subject, keys, -1, 2);
    try {
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return write(name, sign(b, keys), keys);
  }

  /** An intermediate CA, issued by {@code root}: a server serving a leaf of it must send it along. */
  public static Issued intermediate(Issued root, String name) {
    KeyPair keys = rsa();
    X509v3CertificateBuilder b = builder(X500Name.getInstance(root.certificate().getSubjectX500Principal().getEncoded()),
        new X500Name("CN=" + name + ",O=Tidegate tests"), keys, -1, 2);
    try {
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return write(name, sign(b, root.keys()), keys);
  }

  /** A server certificate for 127.0.0.1 and localhost, issued by {@code ca}. */
  public static Issued server(Issued ca, String name) {
    return leaf(ca, "CN=" + name, KeyPurposeId.id_kp_serverAuth, -1, 2);
  }

  /** A client certificate with the subject {@code dn} (e.g. "CN=sensor-7,O=Acme"), issued by {@code ca}. */
  public static Issued client(Issued ca, String dn) {
    return leaf(ca, dn, KeyPurposeId.id_kp_clientAuth, -1, 2);
  }

  /** A client certificate valid between {@code fromDays} and {@code toDays} from now (negative: in the past). */
  public static Issued client(Issued ca, String dn, int fromDays, int toDays) {
    return leaf(ca, dn, KeyPurposeId.id_kp_clientAuth, fromDays, toDays);
  }

  /** The PEM of several certificates, one after another (a chain, or several CAs). */
  public static Path concat(String name, Issued... certs) {
    StringBuilder pem = new StringBuilder();
    for (Issued c : certs) {
      pem.append(c.certPem());
    }
    return file(name + ".pem", pem.toString());
  }

  private static Issued leaf(Issued ca, String dn, KeyPurposeId purpose, int fromDays, int toDays) {
    KeyPair keys = rsa();
    X500Name issuer = X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded());
    // read as RFC 2253, as the JDK and openssl print names: the leftmost name is the most specific
    X500Name subject = X500Name.getInstance(new X500Principal(dn).getEncoded());
    X509v3CertificateBuilder b = builder(issuer, subject, keys, fromDays, toDays);
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.certificate()));
      if (purpose == KeyPurposeId.id_kp_serverAuth) {
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")}));
      }
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    return write(dn.replaceAll("[^A-Za-z0-9-]", "_"), sign(b, ca.keys()), keys);
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys, int fromDays,
      int toDays) {
    long now = System.currentTimeMillis();
    return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
        new Date(now + fromDays * DAY_MS), new Date(now + toDays * DAY_MS), subject, keys.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair signer) {
    try {
      return new JcaX509CertificateConverter().getCertificate(
          b.build(new JcaContentSignerBuilder("SHA256withRSA").build(signer.getPrivate())));
    } catch (OperatorCreationException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair rsa() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Issued write(String name, X509Certificate cert, KeyPair keys) {
    Path certPath = file(name + ".crt", pem("CERTIFICATE", encoded(cert)));
    Path keyPath = file(name + ".key", pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
    return new Issued(cert, keys, certPath, keyPath);
  }

  /** A temporary file, removed when the JVM exits. */
  public static Path file(String name, String content) {
    try {
      Path p = Files.createTempFile("tidegate-", "-" + name);
      p.toFile().deleteOnExit();
      Files.writeString(p, content, StandardCharsets.US_ASCII);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] encoded(X509Certificate cert) {
    try {
      return cert.getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(der) + "\n-----END " + type + "-----\n";
  }
}
