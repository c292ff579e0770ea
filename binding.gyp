{
  "targets": [
    {
      "target_name": "ksm",
      "conditions": [
        ["OS=='linux'", {
          "sources": [
            "native/addon.cc",
            "native/advise.cc",
            "native/allocate.cc",
            "native/arena.cc",
            "native/block_sample.cc",
            "native/byte_count.cc",
            "native/duplicate_count.cc",
            "native/frame_flags.cc",
            "native/glibc_baseline.cc",
            "native/heap_marks.cc",
            "native/memory_view.cc",
            "native/page_hash.cc",
            "native/page_range.cc",
            "native/page_scanner.cc",
            "native/present_regions.cc",
            "native/page_span.cc",
            "native/pagemap.cc",
            "native/process_merge.cc",
            "native/remote_pages.cc",
            "native/syscall_error.cc",
            "native/v8_bridge.cc"
          ],
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
