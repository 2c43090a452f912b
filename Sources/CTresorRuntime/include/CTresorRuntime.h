#ifndef CTRESOR_RUNTIME_H
#define CTRESOR_RUNTIME_H

#include <stdbool.h>

/// Replaces the Swift concurrency runtime's global-enqueue hook with `hook`, whether the runtime
/// is linked statically (--static-swift-stdlib) or shared. Returns false if the runtime has no
/// such hook.
bool tresor_install_static_enqueue_global_hook(const void *hook);

#endif
