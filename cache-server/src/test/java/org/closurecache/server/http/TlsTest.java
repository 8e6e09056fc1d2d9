package org.closurecache.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.closurecache.core.cli.Cli;
import org.closurecache.core.digest.Digest;
import org.closurecache.server.cli.CacheServerMain;
import org.closurecache.server.config.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS from PEM files that openssl writes, checked with curl. */
class TlsTest {
  @TempDir Path dir;

  /** A self-signed certificate for 127.0.0.1 and its unencrypted PKCS#8 key. */
  private Path[] selfSigned(String name, String... keyArgs) throws Exception {
    Path cert = dir.resolve(name + "-cert.pem");
    Path key = dir.resolve(name + "-key.pem");
    List<String> cmd = new ArrayList<>(List.of("openssl", "req", "-x509"));
    cmd.addAll(List.of(keyArgs));
    cmd.addAll(List.of("-nodes", "-keyout", key.toString(), "-out", cert.toString(), "-days", "1",
        "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "openssl hung");
    assertEquals(0, p.exitValue(), out);
    assertTrue(Files.readString(key).contains("BEGIN PRIVATE KEY"), "openssl did not write PKCS#8");
    return new Path[] {cert, key};
  }

  private void assertServesHttps(Path[] pem) throws Exception {
    try (ServerFixture f = new ServerFixture(dir.resolve("server"),
        Map.of("tls-cert", pem[0].toString(), "tls-key", pem[1].toString()))) {
      assertTrue(f.url.startsWith("https://127.0.0.1:"), f.url);
      ServerFixture.Curl ok = f.curl("--cacert", pem[0].toString(), f.url + "/healthz");
      assertEquals(200, ok.status(), ok.text());
      assertTrue(ok.text().contains("\"status\":\"ok\""), ok.text());
      byte[] data = "an object over TLS".getBytes(StandardCharsets.UTF_8);
      Path obj = Files.write(dir.resolve("tls-object"), data);
      ServerFixture.Curl put = f.curl("--cacert", pem[0].toString(), "-X", "PUT",
          "-H", "Authorization: Bearer " + ServerFixture.WRITE_TOKEN, "--data-binary", "@" + obj,
          f.url + "/v1/objects/" + Digest.of(data));
      assertEquals(201, put.status(), put.text());
      // without the CA the certificate is not trusted
      assertNotEquals(200, f.curl(f.url + "/healthz").status());
      // plain HTTP to the TLS port gets no HTTP answer
      assertNotEquals(200, f.curl("http://127.0.0.1:" + f.server.port() + "/healthz").status());
      assertEquals(200, f.curl("--cacert", pem[0].toString(), f.url + "/healthz").status(), "still serving");
    }
  }

  @Test
  void rsaCertificate_servesHttps() throws Exception {
    assertServesHttps(selfSigned("rsa", "-newkey", "rsa:2048"));
  }

  @Test
  void ecCertificate_servesHttps() throws Exception {
    assertServesHttps(selfSigned("ec", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"));
  }

  @Test
  void certificateWithoutKey_orAKeyFileThatIsNoKey_failsAtStartupWithAClearMessage() throws Exception {
    Path[] pem = selfSigned("rsa", "-newkey", "rsa:2048");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = Cli.run(new CacheServerMain(), new PrintWriter(out), new PrintWriter(err),
        "serve", "--store", dir.resolve("store").toString(), "--listen", "127.0.0.1:0", "--tls-cert", pem[0].toString());
    assertEquals(1, status, err.toString());
    assertEquals("serve: TLS needs both tls-cert and tls-key", err.toString().strip());

    ServerConfig certAsKey = ServerConfig.defaults().with(Map.of("store", dir.resolve("store").toString(),
        "listen", "127.0.0.1:0", "tls-cert", pem[0].toString(), "tls-key", pem[0].toString()), dir);
    IOException e = assertThrows(IOException.class, () -> CacheServer.start(certAsKey).close());
    assertTrue(e.getMessage().contains("expected an unencrypted PKCS#8 key (BEGIN PRIVATE KEY)"), e.getMessage());
  }
}
