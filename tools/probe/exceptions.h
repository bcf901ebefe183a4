// A minimal IDT: #DE, #UD, #DF, #GP and #PF record what happened; a fault inside a guarded
// access (stubs.S: ProbeRead/ProbeWrite/ProbeExec) resumes at its recovery point, any
// other fault is reported and halts. SDM Vol. 3A 6.10-6.14. Freestanding.
#pragma once
#include <stdint.h>

namespace probe {

struct FaultRecord {
  bool faulted = false;
  uint64_t vector = 0;
  uint64_t error_code = 0;
  uint64_t cr2 = 0;  // #PF only (SDM Vol. 3A 6.15, interrupt 14); 0 otherwise
};

void InstallIdt();
// The last fault a guarded access took; cleared by TakeFault.
FaultRecord TakeFault();

}  // namespace probe
