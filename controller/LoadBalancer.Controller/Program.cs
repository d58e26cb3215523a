// Entry point of the controller; replaced by the host composition (issue 3).
return 0;
