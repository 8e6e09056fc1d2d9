package org.closurecache.core.capture;

/**
 * A file, or a directory, the recording run used: {@code requested} is the absolute path the
 * process asked for (relative names already joined to its working directory), {@code executed}
 * whether it was passed to execve rather than opened for reading or looked up.
 */
public record TracedFile(String requested, boolean executed) {}
