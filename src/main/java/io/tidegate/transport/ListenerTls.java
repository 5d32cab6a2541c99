package io.tidegate.transport;

import io.tidegate.config.TidegateConfig;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.util.List;

/**
 * TLS on the listener, from the PEM read at start-up ({@code http.tls.*}). ALPN offers HTTP/2 and HTTP/1.1:
 * browsers and HTTP/2 clients get h2 (many requests and SSE streams on one connection); WebSocket clients ask for
 * HTTP/1.1, since Vert.x does not take WebSockets over HTTP/2 (RFC 8441) and browsers then open a connection
 * of their own for them. Client certificates are checked against {@code http.tls.clientCaPath} only.
 */
final class ListenerTls {
  private ListenerTls() {}

  static HttpServerOptions apply(HttpServerOptions options, TidegateConfig.Tls tls) {
    options.setSsl(true).setUseAlpn(true).setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1))
        .setKeyCertOptions(new PemKeyCertOptions().addCertValue(Buffer.buffer(tls.certPem()))
            .addKeyValue(Buffer.buffer(tls.keyPem())));
    if (tls.clientCaPem() != null) {
      options.setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(tls.clientCaPem())));
    }
    options.setClientAuth(switch (tls.clientAuth()) {
      case NONE -> ClientAuth.NONE;
      case REQUEST -> ClientAuth.REQUEST;
      case REQUIRED -> ClientAuth.REQUIRED;
    });
    return options;
  }
}
