import os
import sys

# In Lambda the function's zip is the root of the import path, and the
# shared library is bundled into it as shared/ (the bundle block in
# lambdas.hcl). Here the function's folder and the library's parent folder
# go first on the path, so that `import app` and `import shared` resolve
# the same way.
here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(here, "..", "..", "libs", "shared-py"))
sys.path.insert(0, here)
