"""The dock widgets (magicgui containers): `style.StyleWidget`, `fuse.FuseWidget`, `train.TrainWidget`."""
