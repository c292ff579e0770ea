{
  "targets": [
    {
      "target_name": "ksm",
      "conditions": [
        ["OS=='linux'", {
          "sources": [
            "native/binding/addon.cc",
            "native/binding/advise.cc",
            "native/binding/allocate.cc",
            "native/binding/inspect_pages.cc",
            "native/binding/js_values.cc",
            "native/binding/page_scanner.cc",
            "native/binding/process_merge.cc",
            "native/binding/v8_bridge.cc",
            "native/core/allocator.cc",
            "native/core/block_sample.cc",
            "native/core/duplicate_count.cc",
            "native/core/heap_marks.cc",
            "native/core/kpageflags.cc",
            "native/core/page_hash.cc",
            "native/core/pagemap_scan.cc",
            "native/core/process_pages.cc",
            "native/glibc_baseline.cc"
          ],
          # Includes name their folder, "binding/x.h" or "core/x.h", so each shows its direction.
          "include_dirs": ["native"],
          "dependencies": [
            "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
          ],
          "defines": [
            "NAPI_VERSION=8",
            "NODE_ADDON_API_DISABLE_DEPRECATED",
            # A Napi::Error thrown while a worker is being terminated cannot reach JavaScript:
            # drop it instead of aborting the whole process.
            "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
            # Any other C++ exception (std::bad_alloc near the mapping limit) becomes a JS Error
            # at the boundary instead of std::terminate.
            "NODE_ADDON_API_CPP_EXCEPTIONS_ALL"
          ],
          "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
          # Node unloads an addon when the last environment that loaded it ends (a worker), but
          # memory from its allocator can outlive that thread in another one, and V8 will call
          # back into this library to free it: the library must stay loaded.
          "ldflags": ["-Wl,-z,nodelete"]
        }]
      ]
    }
  ]
}
