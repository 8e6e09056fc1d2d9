package org.closurecache.server.http;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Bearer-token credentials from a file, one per line: {@code ROLE TOKEN [comment]}, where ROLE
 * is {@code read} or {@code write} (write implies read); {@code #} starts a comment. Tokens are
 * kept as SHA-256 hashes and compared in constant time. Immutable and thread-safe.
 */
public final class Auth {
  /** What a request may do. */
  public enum Role { NONE, READ, WRITE }

  private record Credential(byte[] tokenHash, Role role) {}

  private final List<Credential> credentials;
  private final boolean readsOpen;

  private Auth(List<Credential> credentials, boolean readsOpen) {
    this.credentials = List.copyOf(credentials);
    this.readsOpen = readsOpen;
  }

  /** No credentials: reads are open, writes impossible. */
  public static Auth none() {
    return new Auth(List.of(), true);
  }

  public static Auth load(Path tokensFile, boolean readsOpen) throws IOException {
    List<Credential> out = new ArrayList<>();
    int lineNo = 0;
    for (String raw : Files.readAllLines(tokensFile, StandardCharsets.UTF_8)) {
      lineNo++;
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] words = line.split("\\s+", 3);
      if (words.length < 2) {
        throw new IOException(tokensFile + ":" + lineNo + ": expected 'read TOKEN' or 'write TOKEN'");
      }
      Role role = switch (words[0].toLowerCase(Locale.ROOT)) {
        case "read" -> Role.READ;
        case "write" -> Role.WRITE;
        default -> throw new IOException(tokensFile + ":" + lineNo + ": unknown role '" + words[0]
            + "'; use read or write");
      };
      if (words[1].length() < 16) {
        throw new IOException(tokensFile + ":" + lineNo + ": token shorter than 16 characters;"
            + " generate one with: openssl rand -hex 32");
      }
      out.add(new Credential(sha256(words[1]), role));
    }
    return new Auth(out, readsOpen);
  }

  public boolean readsOpen() {
    return readsOpen;
  }

  public boolean hasWriters() {
    return credentials.stream().anyMatch(c -> c.role == Role.WRITE);
  }

  /** The role the request's credential grants (open reads count as READ). */
  public Role roleOf(HttpServerExchange exchange) {
    Role granted = tokenRole(exchange);
    return granted == Role.NONE && readsOpen ? Role.READ : granted;
  }

  /** The role of the bearer token presented, NONE when absent or unknown. */
  private Role tokenRole(HttpServerExchange exchange) {
    String header = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
    Role granted = Role.NONE;
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      byte[] hash = sha256(header.substring(7).strip());
      for (Credential c : credentials) {
        if (MessageDigest.isEqual(c.tokenHash, hash) && c.role.ordinal() > granted.ordinal()) {
          granted = c.role;
        }
      }
    }
    return granted;
  }

  /**
   * Answers 401 (no or unknown credential) or 403 (credential without the role) and returns
   * false when the request may not proceed.
   */
  public boolean require(HttpServerExchange exchange, Role needed) {
    Role role = roleOf(exchange);
    if (role.ordinal() >= needed.ordinal()) {
      return true;
    }
    boolean presented = exchange.getRequestHeaders().contains(Headers.AUTHORIZATION);
    if (!presented || tokenRole(exchange) == Role.NONE) {
      exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer realm=\"closure-cache\"");
      HttpErrors.send(exchange, 401, "unauthorized",
          (presented ? "the bearer token is not known" : "this needs a bearer token")
              + " with the " + needed.name().toLowerCase(Locale.ROOT) + " role");
    } else {
      HttpErrors.send(exchange, 403, "forbidden",
          "the bearer token lacks the " + needed.name().toLowerCase(Locale.ROOT) + " role");
    }
    return false;
  }

  private static byte[] sha256(String token) {
    return org.closurecache.core.digest.Digest.newMessageDigest().digest(token.getBytes(StandardCharsets.UTF_8));
  }
}
