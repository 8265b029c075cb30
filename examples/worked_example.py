"""The textbook worked example (3-2-1 sigmoid network, eta = 0.9), step by step.

Same as ``python -m fastbp.examples.worked_example``; the code lives in the
package so that it ships with every install.
"""
from fastbp.examples.worked_example import main

if __name__ == "__main__":
    main()
