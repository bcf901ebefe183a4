bootmap_fuzzer(ept_fuzzer LIBS bootmap_emu bootmap_map)
