{
  "targets": [
    {
      "target_name": "rnn_fused",
      "sources": ["kernels.cc", "node_addon.cc"],
      "cflags_cc": ["-O3", "-std=gnu++17", "-ffp-contract=fast", "-fno-trapping-math", "-fno-math-errno", "-fvisibility=hidden"],
      "cflags_cc!": ["-fno-exceptions", "-O2", "-O0", "-std=gnu++14"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=gnu++17", "-ffp-contract=fast", "-fno-trapping-math", "-fno-math-errno"],
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES"
      }
    }
  ]
}
