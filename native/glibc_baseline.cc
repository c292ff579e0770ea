// The prebuilt addon must load on glibc 2.28 (RHEL 8), the oldest glibc Node 22+ runs on
// (docs/deployment.md, "Prebuilt addons"). GCC 11+'s libstdc++ headers inline reads of
// __libc_single_threaded, a glibc 2.32 variable, into every std::shared_ptr reference count
// (V8's BackingStore API hands us one), which would make this library need glibc 2.32.
//
// This definition, hidden so it never leaves the library, binds those reads here instead. It is
// always 0, "more than one thread": the answer that is never wrong, since it only picks atomic
// reference counting over plain increments. glibc's own copy is untouched.
extern "C" {
__attribute__((visibility("hidden"))) char __libc_single_threaded = 0;
}
