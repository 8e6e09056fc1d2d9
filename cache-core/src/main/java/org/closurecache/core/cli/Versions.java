package org.closurecache.core.cli;

import picocli.CommandLine.IVersionProvider;

/** Reports the build's version from the jar manifest. */
public final class Versions implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Versions.class.getPackage().getImplementationVersion();
    return new String[] {"closure-cache " + (v == null ? "development build" : v)};
  }
}
