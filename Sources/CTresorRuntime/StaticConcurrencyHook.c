#include "CTresorRuntime.h"

#include <stddef.h>

// The hook variable of Swift's concurrency runtime. With the runtime linked statically the
// linker hides its symbols from the dynamic table (--exclude-libs ALL), so dlsym cannot find it,
// but a direct reference still resolves. The reference is weak, so a runtime without the hook
// reads as NULL instead of failing to link; with the shared runtime it binds through the GOT.
extern const void *swift_task_enqueueGlobal_hook __attribute__((weak));

bool tresor_install_static_enqueue_global_hook(const void *hook) {
    const void **slot = &swift_task_enqueueGlobal_hook;
    if (slot == NULL) {
        return false;
    }
    __atomic_store_n(slot, hook, __ATOMIC_SEQ_CST);
    return true;
}
