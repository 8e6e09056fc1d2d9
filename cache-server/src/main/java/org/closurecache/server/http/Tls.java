package org.closurecache.server.http;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * An {@link SSLContext} from PEM files as openssl and ACME clients write them: a certificate
 * chain ({@code BEGIN CERTIFICATE} blocks, leaf first) and an unencrypted PKCS#8 private key
 * ({@code BEGIN PRIVATE KEY}; RSA, EC or Ed25519). Stateless.
 */
public final class Tls {
  private static final Pattern KEY = Pattern.compile(
      "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

  private Tls() {}

  public static SSLContext context(Path certFile, Path keyFile) throws IOException {
    try {
      Collection<? extends Certificate> chain = CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(certFile)));
      if (chain.isEmpty()) {
        throw new IOException(certFile + ": no certificate found (expected PEM BEGIN CERTIFICATE blocks)");
      }
      PrivateKey key = privateKey(keyFile, chain.iterator().next().getPublicKey().getAlgorithm());
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      char[] password = new char[0];
      store.setKeyEntry("server", key, password, chain.toArray(new Certificate[0]));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(store, password);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), null, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS from " + certFile + " and " + keyFile + ": " + e.getMessage(), e);
    }
  }

  private static PrivateKey privateKey(Path keyFile, String algorithm) throws IOException, GeneralSecurityException {
    String pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
    Matcher m = KEY.matcher(pem);
    if (!m.find()) {
      throw new IOException(keyFile + ": expected an unencrypted PKCS#8 key (BEGIN PRIVATE KEY);"
          + " convert with: openssl pkcs8 -topk8 -nocrypt -in OLD -out NEW");
    }
    byte[] der = Base64.getMimeDecoder().decode(m.group(1));
    String alg = algorithm.equals("EdDSA") ? "Ed25519" : algorithm;
    return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
  }
}
