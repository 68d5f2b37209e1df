"""Re-export model folders with the current generator code (weights and cards kept).

    python scripts/reexport_models.py core/stylefuse/shipped_models/*/

Each folder is checked first: the old TorchScript and the new code must agree within the export
tolerance on three sizes, else the folder is left as it was. The other formats its card lists
(ONNX `model.onnx`, torch.export `model.pt2`: `stylefuse export --format`) are written anew from the
same code and checked again.
"""

import sys
from pathlib import Path

from stylefuse.export import reexport_model_folder


def main(argv: list[str]) -> int:
    for folder in map(Path, argv):
        if (folder / "model.pt").is_file():
            reexport_model_folder(folder)
            print(f"re-exported {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
