"""diverse-soup (rule.md): the uniform weight average of checkpoints of one architecture.

    .venv/bin/python models/training/ablations/diverse-soup/soup.py OUT.pt FIRST.pt OTHER.pt...

OUT.pt is FIRST.pt with its ``model`` state dict replaced by the element-wise mean of all members'
(float tensors; every other entry, the optimiser state included, is FIRST's, so the loaders that read
a training checkpoint read it unchanged). Every member must be at the same step and have the same
keys and shapes. Beside OUT.pt it writes ``log.jsonl``: the lines every member's log.jsonl shares (the
history they branched from; the soup trained no step of its own) and one ``{"kind": "soup"}`` record.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    import torch

    out, paths = Path(argv[0]), argv[1:]
    if len(paths) < 2:
        raise SystemExit("need OUT.pt and at least two members")
    members = [torch.load(p, map_location="cpu", weights_only=False) for p in paths]
    steps = {m["progress"]["step"] for m in members}
    if len(steps) != 1:
        raise SystemExit(f"members are at different steps: {sorted(steps)}")
    first = members[0]
    keys = list(first["model"])
    for p, m in zip(paths, members):
        if list(m["model"]) != keys or any(m["model"][k].shape != first["model"][k].shape for k in keys):
            raise SystemExit(f"{p}: different parameters than {paths[0]}")
    soup = {}
    for k in keys:
        t = first["model"][k]
        soup[k] = torch.stack([m["model"][k].double() for m in members]).mean(0).to(t.dtype) if t.is_floating_point() else t
    result = dict(first)
    result["model"] = soup
    result["soup_members"] = [str(p) for p in paths]
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(result, out)
    logs = [(Path(p).parent / "log.jsonl").read_text().splitlines() for p in paths]
    shared = set.intersection(*(set(lines) for lines in logs[1:]))
    history = [line for line in logs[0] if line in shared]
    record = {"kind": "soup", "step": first["progress"]["step"], "members": [str(p) for p in paths]}
    (out.parent / "log.jsonl").write_text("\n".join(history + [json.dumps(record)]) + "\n")
    print(f"{out}: mean of {len(paths)} checkpoints at step {steps.pop()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
