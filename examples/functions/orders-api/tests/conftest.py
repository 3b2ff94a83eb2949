import os
import sys

# The function's folder is the root of its zip in Lambda: put it first on the
# path so that `import app` and `import shared` (the symlink) resolve as there.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
