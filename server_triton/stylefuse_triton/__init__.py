"""stylefuse on NVIDIA Triton Inference Server.

- `protocol`: the wire protocol (tensor names, dtypes, limits) shared by the server model and clients;
- `repository`: writes a Triton model repository (`stylefuse export --triton-repo`), CPU or GPU profile;
- `backend`: the python-backend model that runs `stylefuse.pipeline` (each repository's model.py imports it);
- `launcher`: starts and watches the real `tritonserver` binary (`stylefuse serve`).
"""
