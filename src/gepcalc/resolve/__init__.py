"""Turn what the user gave (or the default tables) into service arguments.

Each declared :class:`~gepcalc.services.base.Param` becomes a magnitude in the
unit the service declares: a float (scalar), a per-pixel DataArray (raster, or a
per-ecosystem / per-land-cover table spread onto the pixels) or, for value
parameters, a DataArray over the ``ecosystem`` dimension.  Every value used is
recorded with its table, row, unit and source, so an account can be audited.

The package holds:

* :mod:`~gepcalc.resolve.params`: :func:`resolve` (one parameter, from the user's typed input or
  its default table) and :func:`resolve_param` (once per item), :func:`user_value`;
* :mod:`~gepcalc.resolve.regional`: :func:`resolve_regional` (region parameters, over ``region``);
* :mod:`~gepcalc.resolve.from_table`: values read from a coefficient table and laid on the pixels;
* :mod:`~gepcalc.resolve.carbon_basis`: the tC / tCO2 basis of carbon values;
* :mod:`~gepcalc.resolve.provenance`: the records of every value used (``Account.sources``);
* :mod:`~gepcalc.resolve.pending`: raster range checks put off to the account's pass over the chunks;
* :mod:`~gepcalc.resolve.service_arguments`: :func:`arguments`, all arguments of a service function;
* :mod:`~gepcalc.resolve.input_names`: :func:`check_input_names`, input names no service reads.
"""

from gepcalc.resolve.input_names import check_input_names
from gepcalc.resolve.params import resolve, resolve_param, user_value
from gepcalc.resolve.regional import resolve_regional
from gepcalc.resolve.service_arguments import arguments

__all__ = ["arguments", "check_input_names", "resolve", "resolve_param", "resolve_regional", "user_value"]
