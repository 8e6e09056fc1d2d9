/**
 * Views of the node cache: a closure rebuilt at its original absolute paths as a tree of hard
 * links to the cache's object files, with its launch plan beside it, built once per manifest and
 * checked before each launch. This package owns everything about them:
 *
 * <ul>
 *   <li>{@link org.closurecache.client.view.ViewLayout}: the only class that builds paths and names
 *       under {@code views/} and {@code variants/} (views, {@code .build-} and {@code .trash-}
 *       directories, variants and the copies being made), and the only one that recognises them;
 *   <li>{@link org.closurecache.client.view.ViewBuilder}: builds a view (variants included) and
 *       publishes it atomically; the launch plan is written by a {@code PlanWriter} its caller gives;
 *   <li>{@link org.closurecache.client.view.ViewVerifier}: the quick check before a launch and the
 *       content check;
 *   <li>{@link org.closurecache.client.view.ViewSweeper}: gc of {@code views/} and {@code variants/}
 *       (called by the cache's gc) and the removal of one view for a rebuild.
 * </ul>
 *
 * <p>Depends on {@code org.closurecache.core} ({@code digest}, {@code manifest}) and cache-store
 * ({@code fs}: durability and tree deletion; {@code objects}: where the object files lie); nothing
 * else in cache-client, so {@code org.closurecache.client.cache} may use it (its gc sweeps views,
 * its layout hands out {@code views()}) without a cycle. The launcher (exec-shim) uses it to build
 * and check views; what the plan holds and how a job is started stay there.
 */
package org.closurecache.client.view;
