package org.closurecache.client.cache;

import java.io.IOException;
import org.closurecache.core.sign.TagRollbackException;

/**
 * {@link NodeCache#recordTag} was offered a revision older than one this node already accepted
 * (a replayed tag, or a master or mirror that is behind), or the same revision naming another
 * manifest. An {@link IOException} so callers handle it with the cache's other failures; the
 * cause is core's {@link TagRollbackException}, the same refusal the signature layer reports.
 */
public final class TagRollbackRefusedException extends IOException {
  public TagRollbackRefusedException(String message, TagRollbackException cause) {
    super(message, cause);
  }

  static TagRollbackRefusedException rollback(String tag, long offered, long seen) {
    TagRollbackException cause = new TagRollbackException(tag, offered, seen);
    return new TagRollbackRefusedException(cause.getMessage(), cause);
  }

  static TagRollbackRefusedException conflict(String tag, long revision, String held, String offered) {
    return new TagRollbackRefusedException("tag " + tag + " revision " + revision + " already names "
        + held + " here, not " + offered + "; one revision has one target, so the master or a"
        + " mirror is inconsistent: publish a new revision", new TagRollbackException(tag, revision, revision));
  }

  public TagRollbackException rollback() {
    return (TagRollbackException) getCause();
  }
}
