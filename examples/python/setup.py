"""The build step pyproject.toml cannot say: execplane_pb2.py goes into the
distribution next to execplane_client.py. It is the file EXECPLANE_PB2
names if set (e.g. build/python/execplane_pb2.py, made by the CMake
build), else protoc generates it from ../../schemas/execplane.proto (as
the CMake build does). Without either the build stops and says so.
What the build writes (build/, *.egg-info) goes to a scratch folder, not
into the source tree, and is removed when the step ends."""
import atexit
import os
import shutil
import subprocess
import tempfile

from setuptools import setup
from setuptools.command.build_py import build_py

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      os.pardir, os.pardir, "schemas", "execplane.proto")


class BuildPyWithSchema(build_py):
    def run(self):
        super().run()
        given = os.environ.get("EXECPLANE_PB2")
        if given:
            if not os.path.isfile(given):
                raise SystemExit(f"EXECPLANE_PB2={given}: no such file")
            shutil.copyfile(given, os.path.join(self.build_lib, "execplane_pb2.py"))
            return
        protoc = shutil.which("protoc")
        if not protoc or not os.path.isfile(SCHEMA):
            raise SystemExit(
                "execplane_pb2.py cannot be made: "
                + ("no protoc on PATH (apt install protobuf-compiler)" if not protoc
                   else f"no schema at {os.path.normpath(SCHEMA)}")
                + "; or set EXECPLANE_PB2 to a generated execplane_pb2.py"
                  " (the CMake build's build/python/execplane_pb2.py)")
        os.makedirs(self.build_lib, exist_ok=True)
        subprocess.run([protoc, "--proto_path=" + os.path.dirname(SCHEMA),
                        "--python_out=" + self.build_lib, SCHEMA], check=True)


SCRATCH = tempfile.mkdtemp(prefix="execplane-client-build.")
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)
setup(py_modules=["execplane_client", "execplane_fates"],
      cmdclass={"build_py": BuildPyWithSchema},
      options={"build": {"build_base": os.path.join(SCRATCH, "build")},
               "egg_info": {"egg_base": SCRATCH}})
