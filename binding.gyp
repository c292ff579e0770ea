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
            "native/memory_view.cc",
            "native/page_range.cc",
            "native/page_span.cc",
            "native/pagemap.cc",
            "native/process_merge.cc",
            "native/syscall_error.cc"
          ],
          "dependencies": [
            "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
          ],
          "defines": [
            "NAPI_VERSION=8",
            "NODE_ADDON_API_DISABLE_DEPRECATED"
          ],
          "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"]
        }]
      ]
    }
  ]
}
