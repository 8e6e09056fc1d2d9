package org.closurecache.core.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TraceScopeTest {
  final TraceScope scope = new TraceScope(List.of("/root", "/home", "/etc/shadow", "/tmp/"),
      List.of("/root/.pyenv", "/etc", "/tmp"));

  @Test
  void excludedBy_thePrefixThatLeavesItOut_wholeComponentsOnly() {
    assertEquals(Optional.of("/home"), scope.excludedBy("/home/u/bin/tool"));
    assertEquals(Optional.of("/home"), scope.excludedBy("/home"));
    assertEquals(Optional.empty(), scope.excludedBy("/homework/x"));
    assertEquals(Optional.empty(), scope.excludedBy("/usr/bin/python3"));
  }

  @Test
  void excludedBy_aLongerIncludeKeepsATreeUnderAnExclusion() {
    assertEquals(Optional.empty(), scope.excludedBy("/root/.pyenv/versions/3.11.7/bin/python3.11"));
    assertEquals(Optional.of("/root"), scope.excludedBy("/root/.pyenvx/shim"));
    assertEquals(Optional.of("/root"), scope.excludedBy("/root/.ssh/id_ed25519"));
  }

  @Test
  void excludedBy_aShorterIncludeDoesNotBringBackALongerExclusion() {
    assertEquals(Optional.of("/etc/shadow"), scope.excludedBy("/etc/shadow"));
    assertEquals(Optional.empty(), scope.excludedBy("/etc/passwd"));
  }

  @Test
  void excludedBy_theSamePrefixBothWays_theIncludeWins_trailingSlashOrNot() {
    assertEquals(Optional.empty(), scope.excludedBy("/tmp/job/out"));
    assertEquals(Optional.of("/"), new TraceScope(List.of("/"), List.of()).excludedBy("/usr/bin/env"));
    assertEquals(Optional.empty(), new TraceScope(List.of("/"), List.of("/usr")).excludedBy("/usr/bin/env"));
  }
}
