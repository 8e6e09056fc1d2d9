package org.closurecache.shim.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.closurecache.shim.launch.Modes.Mode;
import org.junit.jupiter.api.Test;

/** Real bubblewrap: .ci/run installs it, and the tests run as root. */
class ModesTest {
  @Test
  void resolveAuto_whenBwrapWorks_isNamespace() {
    assertEquals(Mode.NAMESPACE, Modes.resolve(Mode.AUTO, "bwrap"));
  }

  @Test
  void resolveAuto_whenBwrapIsMissing_isLoader() {
    assertEquals(Mode.LOADER, Modes.resolve(Mode.AUTO, "/nonexistent/bwrap"));
  }

  @Test
  void resolveAuto_whenTheProgramRunsButFails_isLoader() {
    assertEquals(Mode.LOADER, Modes.resolve(Mode.AUTO, "/bin/false"));
  }

  @Test
  void resolve_anExplicitMode_isKeptWithoutProbing() {
    assertEquals(Mode.NAMESPACE, Modes.resolve(Mode.NAMESPACE, "/nonexistent/bwrap"));
    assertEquals(Mode.LOADER, Modes.resolve(Mode.LOADER, "bwrap"));
  }

  @Test
  void wire_isTheLowerCaseName() {
    assertEquals("auto", Mode.AUTO.wire());
    assertEquals("namespace", Mode.NAMESPACE.wire());
    assertEquals("loader", Mode.LOADER.wire());
  }
}
