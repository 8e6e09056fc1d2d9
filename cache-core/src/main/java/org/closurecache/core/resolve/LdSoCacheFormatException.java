package org.closurecache.core.resolve;

import java.io.IOException;

/**
 * Thrown when an {@code ld.so.cache} file is malformed, truncated, of an unsupported byte order,
 * or larger than {@link LdSoCache} accepts. The message names the source (usually the file path)
 * and the reason.
 */
public final class LdSoCacheFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String source;
    private final String reason;

    public LdSoCacheFormatException(String source, String reason) {
        super(source + ": malformed ld.so.cache: " + reason);
        this.source = source;
        this.reason = reason;
    }

    /** Where the bytes came from, as given to the parser (for example the file path). */
    public String source() {
        return source;
    }

    /** What was wrong, without the source prefix. */
    public String reason() {
        return reason;
    }
}
