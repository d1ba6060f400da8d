"""Write paths of the projects app: challenges and applications, joint projects and milestones."""
