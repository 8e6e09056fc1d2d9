package org.closurecache.client.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheLayoutTest {
  @Test
  void create_makesRunningWritableByEveryUserAndSticky_andRepairsALaunchersDirectory(@TempDir Path dir)
      throws Exception {
    CacheLayout layout = CacheLayout.at(dir.resolve("cache"));
    layout.create();
    assertEquals(01777, (Integer) Files.getAttribute(layout.runningDir(), "unix:mode") & 07777);
    Files.setAttribute(layout.runningDir(), "unix:mode", 0755);  // as a user's `mkdir -p` leaves it
    layout.create();
    assertEquals(01777, (Integer) Files.getAttribute(layout.runningDir(), "unix:mode") & 07777);
  }
}
