package io.tidegate.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.tidegate.error.ApiError;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/**
 * Clients identified by a TLS client certificate (one the handshake verified against {@code http.tls.clientCaPath}):
 * the subject is the certificate's common name (CN), and the permissions are those of the roles in
 * {@code auth.certificateRoles}, mapped like a token's {@code roles} claim, with {@code ${sub}} in a role's filters
 * replaced by that CN. The identity lasts until the certificate's {@code notAfter}.
 */
final class CertificateIdentities {
  private static final int CACHE_ENTRIES = 10_000;
  private static final Duration CACHE_TTL = Duration.ofSeconds(60);

  private final RoleMapper mapper;
  private final JsonArray roles;
  /** Per certificate, so a client's keep-alive requests map its certificate once: bounded, and short-lived. */
  private final Cache<X509Certificate, Identity> known =
      Caffeine.newBuilder().maximumSize(CACHE_ENTRIES).expireAfterWrite(CACHE_TTL).build();

  CertificateIdentities(RoleMapper mapper, List<String> roles) {
    this.mapper = mapper;
    this.roles = new JsonArray(List.copyOf(roles));
  }

  /** @throws ApiError 401 when the certificate names no CN, or is out of its validity period */
  Identity identify(X509Certificate certificate, long nowMs) {
    Identity id = known.get(certificate, c -> new Identity(subject(c), c.getNotAfter().getTime(),
        mapper.permissions(new JsonObject().put("sub", subject(c)).put("roles", roles))));
    if (id.expired(nowMs) || nowMs < certificate.getNotBefore().getTime()) {
      known.invalidate(certificate);
      throw ApiError.unauthorized("the client certificate is not valid now");
    }
    return id;
  }

  /**
   * The most specific common name (CN) of the certificate's subject distinguished name.
   *
   * @throws ApiError 401 when it has none
   */
  static String subject(X509Certificate certificate) {
    String dn = certificate.getSubjectX500Principal().getName(X500Principal.RFC2253);
    try {
      List<Rdn> rdns = new LdapName(dn).getRdns(); // the last is the leftmost, the most specific
      for (int i = rdns.size() - 1; i >= 0; i--) {
        if (rdns.get(i).getType().equalsIgnoreCase("CN") && rdns.get(i).getValue() instanceof String cn
            && !cn.isBlank()) {
          return cn;
        }
      }
    } catch (InvalidNameException e) {
      // refused below
    }
    throw ApiError.unauthorized("the client certificate's subject has no common name (CN)");
  }
}
