"""Only what pyproject.toml cannot say: the GIMP plug-in folder travels as package data.

`stylefuse_gimp_plugin` (folder gimp_plugin/, mapped in pyproject's package-dir) holds no Python
package of its own — just `stylefuse-gimp/`, which `stylefuse gimp-install` copies into GIMP — so
packages.find cannot see it; build_py gets it added here.
"""

from setuptools import setup
from setuptools.command.build_py import build_py as _build_py


class build_py(_build_py):
    def finalize_options(self):
        super().finalize_options()
        if "stylefuse_gimp_plugin" not in self.packages:
            self.packages.append("stylefuse_gimp_plugin")


setup(cmdclass={"build_py": build_py})
