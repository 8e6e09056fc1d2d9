package org.closurecache.store.index;

import java.nio.file.Path;

/**
 * Child process for {@link IndexDatabaseLockTest}: opens the index at {@code args[0]}, prints
 * {@code open}, holds it until a line arrives on stdin, then closes it and prints {@code closed}.
 */
public final class IndexHolderMain {
  private IndexHolderMain() {}

  public static void main(String[] args) throws Exception {
    try (IndexDatabase db = IndexDatabase.open(Path.of(args[0]), TestIndexes.SPEC)) {
      System.out.println("open");
      System.out.flush();
      System.in.read();
    }
    System.out.println("closed");
    System.out.flush();
  }
}
