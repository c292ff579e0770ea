// LD_PRELOAD shim for tests: makes operator new fail, as when a process runs out of memory, for
// the addon's own calls only. KSM_TEST_FAIL_NEW="TOKEN:N" fails the next N calls made from
// ksm.node after the variable takes a new value (a test sets it through process.env, which
// calls setenv); every other allocation, Node's included, goes to malloc as usual.
#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace {

char last_setting[256];
long remaining = 0;

bool FromAddon(void* caller) {
  Dl_info info;
  return dladdr(caller, &info) != 0 && info.dli_fname != nullptr && std::strstr(info.dli_fname, "ksm.node") != nullptr;
}

bool ShouldFail(void* caller) {
  const char* setting = std::getenv("KSM_TEST_FAIL_NEW");
  if (setting == nullptr || !FromAddon(caller)) return false;
  if (std::strncmp(setting, last_setting, sizeof last_setting) != 0) {  // a new request
    std::strncpy(last_setting, setting, sizeof last_setting - 1);
    const char* count = std::strchr(setting, ':');
    remaining = count ? std::strtol(count + 1, nullptr, 10) : 0;
  }
  if (remaining <= 0) return false;
  remaining--;
  return true;
}

}  // namespace

void* operator new(std::size_t size) {
  if (ShouldFail(__builtin_return_address(0))) throw std::bad_alloc();
  void* memory = std::malloc(size == 0 ? 1 : size);
  if (memory == nullptr) throw std::bad_alloc();
  return memory;
}
