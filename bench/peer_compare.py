#!/usr/bin/python3
"""Reference peer for the benchmark: a straightforward PyTorch + hashlib comparison of two
safetensors checkpoints, computing what `model-sleuth compare` reports: SHA-256 of each file and
each tensor's raw bytes, per-tensor statistics (mean, std, min, max, NaN/Inf counts) of both sides,
and for tensors whose bytes differ the delta (L2, relative L2, max |d|, cosine, changed-element
count by bit pattern, per-row norms and changed rows, top-32 elements).

Run with Debian's python3-torch: /usr/bin/python3 bench/peer_compare.py KG SUSPECT OUT.json
"""
import hashlib
import json
import mmap
import struct
import sys
import warnings

import torch

warnings.filterwarnings("ignore")
DT = {"BF16": (torch.bfloat16, 2, torch.int16), "F16": (torch.float16, 2, torch.int16), "F32": (torch.float32, 4, torch.int32)}


def file_sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(8 << 20)
            if not b:
                return h.hexdigest()
            h.update(b)


def open_model(path):
    f = open(path, "rb")
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
    return header, mm, 8 + n


def tensor(model, name):
    header, mm, start = model
    info = header[name]
    dtype, size, _ = DT[info["dtype"]]
    b, e = info["data_offsets"]
    count = (e - b) // size
    raw = memoryview(mm)[start + b:start + e]
    t = torch.frombuffer(mm, dtype=dtype, count=count, offset=start + b).reshape(info["shape"]) if count else torch.empty(info["shape"], dtype=dtype)
    return t, raw, info


def stats(t):
    f = t.float().flatten()
    nan = int(torch.isnan(f).sum())
    inf = int(torch.isinf(f).sum())
    if nan or inf:
        f = f[torch.isfinite(f)]
    if f.numel() == 0:
        return {"mean": None, "std": None, "min": None, "max": None, "nan": nan, "inf": inf}
    return {"mean": f.mean().item(), "std": f.std().item() if f.numel() > 1 else None,
            "min": f.min().item(), "max": f.max().item(), "nan": nan, "inf": inf}


def main(kg_path, su_path, out_path):
    result = {"files": {kg_path: file_sha(kg_path), su_path: file_sha(su_path)}, "tensors": {}}
    kg, su = open_model(kg_path), open_model(su_path)
    for name in sorted(set(kg[0]) | set(su[0])):
        entry = {}
        if name not in su[0] or name not in kg[0]:
            side = kg if name in kg[0] else su
            t, raw, _ = tensor(side, name)
            entry = {"status": "removed" if side is kg else "added", "sha256": hashlib.sha256(raw).hexdigest(), "stats": stats(t)}
            result["tensors"][name] = entry
            continue
        a, ra, ia = tensor(kg, name)
        b, rb, ib = tensor(su, name)
        entry["sha256"] = [hashlib.sha256(ra).hexdigest(), hashlib.sha256(rb).hexdigest()]
        entry["stats"] = [stats(a), stats(b)]
        if ia["dtype"] == ib["dtype"] and entry["sha256"][0] == entry["sha256"][1]:
            entry["status"] = "identical"
        else:
            entry["status"] = "modified"
            fa, fb = a.float(), b.float()
            d = fb - fa
            l2 = d.norm().item()
            na, nb = fa.norm().item(), fb.norm().item()
            ivt = DT[ia["dtype"]][2]
            changed = (a.view(ivt) != b.view(ivt))
            rows = d.reshape(d.shape[0], -1).norm(dim=1) if d.dim() > 0 else d.abs().reshape(1)
            top = torch.topk(d.abs().flatten(), min(32, d.numel()))
            entry["delta"] = {"l2": l2, "relL2": l2 / na if na else None, "maxAbs": d.abs().max().item(),
                              "cosine": (torch.dot(fa.flatten(), fb.flatten()) / (na * nb)).item() if na and nb else None,
                              "changedCount": int(changed.sum()), "changedRows": torch.nonzero(changed.reshape(changed.shape[0], -1).any(dim=1)).flatten()[:4096].tolist(),
                              "topRows": torch.topk(rows, min(32, rows.numel())).indices.tolist(), "topElements": top.indices.tolist()}
        result["tensors"][name] = entry
    with open(out_path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])
