"""What tools/qemu-probe and tools/linux-tables share: QMP, ELF cores, running bootmap, and
the comparison of QEMU's MMU view (`info mem`, `info tlb`) with `bootmap dump`."""
import json
import os
import re
import socket
import struct
import subprocess
import time


class Failure(Exception):
    """A disagreement or a failed step: the configuration fails with this message."""


def disagree(work, what, items):
    """Fails with the count and the first disagreement; every one is listed in a file."""
    path = os.path.join(work, "disagreements.txt")
    with open(path, "a") as f:
        f.writelines(f"{what}: {x}\n" for x in items)
    raise Failure(f"{what}: {len(items)} disagreements, first: {items[0]} (all in {path})")


def run(cmd, check=True):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and p.returncode not in (0, 1):
        raise Failure(f"{' '.join(cmd[:2])} failed ({p.returncode}): {p.stderr.strip()[:400]}")
    return p


# ---- QEMU and QMP -------------------------------------------------------------------

class Qmp:
    def __init__(self, path, deadline):
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                if time.time() > deadline:
                    raise Failure("QMP socket never came up")
                time.sleep(0.05)
        self.sock.settimeout(max(5.0, deadline - time.time()))
        self.file = self.sock.makefile("rw")
        self._reply()
        self.cmd("qmp_capabilities")

    def _reply(self):
        while True:
            line = self.file.readline()
            if not line:
                raise Failure("QMP connection closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def cmd(self, name, **args):
        self.file.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.file.flush()
        msg = self._reply()
        if "error" in msg:
            raise Failure(f"QMP {name}: {msg['error'].get('desc')}")
        return msg.get("return")

    def hmp(self, line):
        return self.cmd("human-monitor-command", **{"command-line": line})


def read_lines(path):
    try:
        with open(path, errors="replace") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


class Core:
    """Physical memory of an ELF64 core: PT_LOAD segments by p_paddr."""

    def __init__(self, path):
        self.f = open(path, "rb")
        h = self.f.read(64)
        if h[:4] != b"\x7fELF" or h[4] != 2:
            raise Failure(f"{path}: not an ELF64 core")
        phoff, = struct.unpack_from("<Q", h, 32)
        phentsize, phnum = struct.unpack_from("<HH", h, 54)
        self.segments = []
        for i in range(phnum):
            self.f.seek(phoff + i * phentsize)
            p_type, _, off, _, paddr, filesz, _, _ = struct.unpack("<IIQQQQQQ", self.f.read(56))
            if p_type == 1 and filesz:
                self.segments.append((paddr, filesz, off))

    def page(self, pa):
        for base, size, off in self.segments:
            if base <= pa and pa + 4096 <= base + size:
                self.f.seek(off + pa - base)
                return self.f.read(4096)
        raise Failure(f"pa {pa:#x} is not in the core")

    def pages(self):
        return sorted(pa for base, size, _ in self.segments for pa in range(base, base + size, 4096))


def bootmap_json(bootmap, args):
    p = run([bootmap, *args, "--json"])
    try:
        return p.returncode, json.loads(p.stdout)
    except json.JSONDecodeError:
        raise Failure(f"bootmap {args[0]}: no JSON ({p.stderr.strip()[:300]})")


def merge(ranges):
    out = []
    for lo, hi, attrs in sorted(ranges):
        if out and out[-1][1] == lo and out[-1][2] == attrs:
            out[-1][1] = hi
        else:
            out.append([lo, hi, attrs])
    return out


MAX_LEAVES = 4_000_000  # expanding runs into leaves stops here, with an error


# PAT index the core encodes each type with (sim/core/formats.h kPatLayout): PCD and PWT are
# its low bits, which `info tlb` shows (the PAT bit it does not).
PAT_INDEX = {"WB": 0, "WC": 1, "UC-": 2, "UC": 3, "WP": 5, "WT": 7}


def dump_leaves(runs):
    """bootmap dump's runs as leaves: va -> (pa, NX, G, U, W, large page, PCD, PWT)."""
    leaves = {}
    for va, size, pa, page, flags, pat_type in runs:
        if len(leaves) + size // page > MAX_LEAVES:
            raise Failure(f"(a) more than {MAX_LEAVES} leaves: too many to compare")
        index = PAT_INDEX.get(pat_type, -1)
        attrs = ("NX" in flags, "GLB" in flags, "USR" in flags, "RW" in flags, page > 4096,
                 bool(index & 2), bool(index & 1))
        for off in range(0, size, page):
            leaves[va + off] = (pa + off, *attrs)
    return leaves


def tlb_leaves(info_tlb):
    """`info tlb` (QEMU target/i386/monitor.c tlb_info_64/la57): 'VA: PA XGPDACTUW' per leaf."""
    leaves = {}
    for line in info_tlb.splitlines():
        m = re.match(r"([0-9a-f]+): ([0-9a-f]+) ([-X])([-G])([-P])[-D][-A]([-C])([-T])([-U])([-W])", line)
        if m:
            leaves[int(m.group(1), 16)] = (int(m.group(2), 16), m.group(3) == "X", m.group(4) == "G",
                                           m.group(8) == "U", m.group(9) == "W", m.group(5) == "P",
                                           m.group(6) == "C", m.group(7) == "T")
    return leaves


def mem_ranges(info_mem):
    """`info mem`: 'LO-HI SIZE urw' ranges merged by (W, U) (mem_print ignores NX)."""
    out = []
    for line in info_mem.splitlines():
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) [0-9a-f]+ ([-u])r([-w])", line)
        if m:
            out.append((int(m.group(1), 16), int(m.group(2), 16), (m.group(4) == "w", m.group(3) == "u")))
    return merge(out)


def compare_mmu_view(bootmap, dump_args, info_mem, info_tlb, work, la57=False):
    """Every leaf `info tlb` lists (va, pa, NX, G, U/S, R/W, large page, PCD, PWT), and the
    ranges of `info mem` (R/W, U/S), against `bootmap dump DUMP_ARGS`: no more, no fewer.
    Returns (pages compared through info mem, or None where QEMU prints none; leaves)."""
    _, d = bootmap_json(bootmap, ["dump", *dump_args])
    runs = [(int(x["va"], 16), int(x["size"], 16), int(x["pa"], 16), int(x["page_size"], 16), x["flags"], x["type"])
            for x in d["runs"]]
    ours, theirs = dump_leaves(runs), tlb_leaves(info_tlb)
    if ours != theirs:  # leaf: (pa, NX, G, U, W, large, PCD, PWT)
        disagree(work, "info tlb vs bootmap dump",
                 [f"va {va:#x}: tlb {theirs.get(va)}, dump {ours.get(va)}"
                  for va in sorted(set(ours) | set(theirs)) if ours.get(va) != theirs.get(va)])
    ranges = merge((va, va + size, ("RW" in fl, "USR" in fl)) for va, size, _, _, fl, _ in runs)
    mem = mem_ranges(info_mem)
    if not mem and la57:
        return None, len(theirs)  # QEMU 7.2 prints no `info mem` with CR4.LA57 (measured)
    if mem != ranges:  # range: (lo, hi, (W, U))
        disagree(work, "info mem vs bootmap dump",
                 [f"info mem only {a:#x}-{b:#x} {c}" for a, b, c in mem if [a, b, c] not in ranges] +
                 [f"dump only {a:#x}-{b:#x} {c}" for a, b, c in ranges if [a, b, c] not in mem])
    return sum(hi - lo for lo, hi, _ in ranges) // 4096, len(theirs)
