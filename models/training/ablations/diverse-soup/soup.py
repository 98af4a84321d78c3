"""diverse-soup (rule.md): the uniform weight average of checkpoints of one architecture.

    .venv/bin/python models/training/ablations/diverse-soup/soup.py OUT.pt FIRST.pt OTHER.pt...

OUT.pt is FIRST.pt with its ``model`` state dict replaced by the element-wise mean of all members'
(float tensors; every other entry, the optimiser state included, is FIRST's, so the loaders that read
a training checkpoint read it unchanged). Every member must be at the same step and have the same
keys and shapes.
"""

from __future__ import annotations

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
    print(f"{out}: mean of {len(paths)} checkpoints at step {steps.pop()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
