# Kernel settings for executing the book's chapters (Makefile exports IPYTHONDIR=config/ipython).
# ipykernel warns on every start that a local TCP kernel is unencrypted; in a build log that
# reads like a fault, so the kernel application logs errors only. Cell errors are unaffected:
# they travel as messages and still fail the build.
c = get_config()  # noqa: F821
c.IPKernelApp.log_level = "ERROR"
