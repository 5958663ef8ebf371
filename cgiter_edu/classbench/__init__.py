"""A class on one server: JupyterHub measured with simulated students
(``cgiter-edu bench --parts class``), and the course's graded exercises as an nbgrader
assignment.

* :mod:`~cgiter_edu.classbench.hub`: a real JupyterHub on 127.0.0.1 for one run;
* :mod:`~cgiter_edu.classbench.student`: a simulated student on the kernel websocket;
* :mod:`~cgiter_edu.classbench.class_timing`: the benchmark and its report;
* :mod:`~cgiter_edu.classbench.procs`: what it reads from ``/proc``.

Importing this package imports none of JupyterHub, tornado, matplotlib or ipywidgets.
"""
