"""napari plugin for stylefuse: style transfer, fusion and style training on layers.

Importing this package is cheap on purpose (napari imports it while reading the manifest): no torch,
no napari, no model. Modules, one concept each:
    slicing   how a layer's array becomes a stack of 2-D planes and back
    layers    what a result layer keeps from its input (scale, translate, affine, metadata, ...)
    masks     a Labels or Shapes layer as a mask for an image layer
    backends  in-process pipeline or a Triton server, one interface
    jobs      background work (thread_worker generator): progress bar, cancel, result layer
    notify    errors and messages as napari notifications
    commands  Layers > Filter > Style & Fusion
    files     reader and writer: NIfTI, DICOM series, TIFF stacks (spacing as scale, header kept)
    samples   sample data (MNI152 from the nilearn wheel, a brain slice pair, a painting)
    widgets/  the dock widgets: style, fuse, train
"""

__version__ = "0.1.0"
