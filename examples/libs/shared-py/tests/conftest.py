import os
import sys

# Make `import shared` work from this folder's parent (examples/libs/shared-py).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
