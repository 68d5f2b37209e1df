"""stylefuse: a GAN-based hybrid model for image style transfer and image fusion."""

__version__ = "0.1.0"
