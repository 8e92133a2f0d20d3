/*
 * tls: the one place that sets up server-side TLS (OpenSSL) for the HTTP
 * listener and SMTP STARTTLS, so both offer the same protocols and
 * ciphers: TLS 1.2 and 1.3 only, forward-secret AEAD ciphers for 1.2
 * (1.3's are all modern), no renegotiation, no compression.
 */
#ifndef RX_TLS_H
#define RX_TLS_H

struct ssl_ctx_st;

/* A server context for the PEM chain CERT and key KEY; the caller owns it
 * (SSL_CTX_free). NULL with *cause when they cannot be loaded or do not
 * match. Connections made with an older context keep it until they close,
 * so a reload may free the old one at once. */
struct ssl_ctx_st *tls_server_ctx(const char *cert, const char *key,
    const char **cause);

#endif
